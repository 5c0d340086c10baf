import type { GroupSpec } from '../rule.js';
import { leakExpr, leakSpan } from '../leak.js';

// Socket leaks seen from the outside (incidents 2 and 3) and an app that
// stopped accepting. A large steady pool (16 workers × 20 connections to one
// database) is flat, so only growth and age page, never a count alone.
export const socketsGroup: GroupSpec = {
  name: 'sockeye.sockets',
  perTarget: true,
  alerts: (c) => {
    const sk = c.selectors.sockeye;
    const span = leakSpan(c);
    return [
      {
        alert: 'CloseWaitPileUp',
        // tcp and tcp6 together; every other label kept.
        expr: `sum without (protocol) (sockeye_process_sockets{${sk}, state="close_wait"}) >= ${c.closeWait.atLeast}`,
        for: c.for.closeWaitPileUp,
        severity: 'warning',
        summary: 'Sockets of target {{ $labels.target }} are piling up in CLOSE_WAIT.',
        description:
          'Target {{ $labels.target }} on sockeye {{ $labels.instance }} holds {{ $value }} TCP sockets in CLOSE_WAIT: peers have closed, the application never closed its side. Each one holds a file descriptor until the process exits.',
      },
      {
        alert: 'CloseWaitSocketsStuck',
        // A CLOSE_WAIT socket lives as long as the app takes to call close():
        // milliseconds. Minutes mean it never will, however few there are.
        expr: `sockeye_process_long_lived_sockets{${sk}, state="close_wait"} >= ${c.closeWaitStuck.atLeast}`,
        for: c.for.closeWaitSocketsStuck,
        severity: 'warning',
        summary: 'Target {{ $labels.target }} never closes sockets its peers closed.',
        description:
          'Target {{ $labels.target }} on sockeye {{ $labels.instance }} has held {{ $value }} TCP sockets in CLOSE_WAIT for longer than the long-lived threshold (sockeye_process_long_lived_socket_threshold_seconds, 5m by default); a healthy one lasts milliseconds. The peer hung up and the code never calls close() on some path: a leak, whatever the load. sockeye_process_socket_oldest_age_seconds says for how long.',
      },
      {
        alert: 'SocketLeak',
        // Per protocol and state; listeners do not leak one per request.
        expr: leakExpr(c, `sockeye_process_sockets{${sk}, state!="listen"}`, c.leak.minGrowth.sockets),
        for: c.for.socketLeak,
        severity: 'warning',
        summary: 'Target {{ $labels.target }} is leaking {{ $labels.protocol }} sockets in state {{ $labels.state }}.',
        description: `The {{ $labels.protocol }} sockets of target {{ $labels.target }} on sockeye {{ $labels.instance }} in state {{ $labels.state }} have grown by {{ $value | printf "%.0f" }} in ${span}, even at their quietest moments, and are above their peak of the last ${c.leak.lookback}: connections opened and never closed. Each holds a file descriptor.`,
      },
      {
        alert: 'PeerSocketLeak',
        // "other" is the sum of the peers outside the top N, not one peer.
        expr: leakExpr(c, `sockeye_process_sockets_by_peer{${sk}, peer!="other"}`, c.leak.minGrowth.peerSockets),
        for: c.for.peerSocketLeak,
        severity: 'warning',
        summary: 'Target {{ $labels.target }} is leaking connections to {{ $labels.peer }}.',
        description: `Target {{ $labels.target }} on sockeye {{ $labels.instance }} holds more and more sockets to peer {{ $labels.peer }}: {{ $value | printf "%.0f" }} more in ${span}, never fewer, above its peak of the last ${c.leak.lookback}. A client library that opens a connection per call and never closes it, or a pool with no bound.`,
      },
      {
        alert: 'ListenQueueOverflowing',
        expr: `
sockeye_process_listen_queue_length{${sk}}
  /
(sockeye_process_listen_queue_max{${sk}} > 0)
>= ${c.listenQueue.ratio}`,
        for: c.for.listenQueueOverflowing,
        severity: 'warning',
        summary: 'The accept queue of target {{ $labels.target }} on port {{ $labels.port }} is nearly full.',
        description:
          'The listen queue of port {{ $labels.port }} of target {{ $labels.target }} on sockeye {{ $labels.instance }} is at {{ $value | humanizePercentage }} of its backlog: the application is not accepting connections fast enough (blocked, wedged or overloaded), and new clients will time out.',
      },
    ];
  },
};
