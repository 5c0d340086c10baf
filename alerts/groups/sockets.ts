import type { GroupSpec } from '../rule.js';

// Socket leaks seen from the outside (incidents 2 and 3) and an app that stopped accepting.
export const socketsGroup: GroupSpec = {
  name: 'sockeye.sockets',
  alerts: (c) => {
    const sk = c.selectors.sockeye;
    return [
      {
        alert: 'CloseWaitPileUp',
        expr: `sum by (job, instance, target) (sockeye_process_sockets{${sk}, state="close_wait"}) >= ${c.closeWait.atLeast}`,
        for: c.for.closeWaitPileUp,
        severity: 'warning',
        summary: 'Sockets of target {{ $labels.target }} are piling up in CLOSE_WAIT.',
        description:
          'Target {{ $labels.target }} on sockeye {{ $labels.instance }} holds {{ $value }} TCP sockets in CLOSE_WAIT: peers have closed, the application never closed its side. Each one holds a file descriptor until the process exits.',
      },
      {
        alert: 'ManySocketsToOnePeer',
        // "other" is the sum of the peers outside the top N, not one peer.
        expr: `max by (job, instance, target, peer) (sockeye_process_sockets_by_peer{${sk}, peer!="other"}) >= ${c.peerSockets.atLeast}`,
        for: c.for.manySocketsToOnePeer,
        severity: 'warning',
        summary: 'Target {{ $labels.target }} holds {{ $value }} sockets to {{ $labels.peer }}.',
        description:
          'Target {{ $labels.target }} on sockeye {{ $labels.instance }} holds {{ $value }} sockets to peer {{ $labels.peer }}: connections are opened and never closed (a client library leak), or a pool has no bound.',
      },
      {
        alert: 'ListenQueueOverflowing',
        expr: `
max by (job, instance, target, port) (sockeye_process_listen_queue_length{${sk}})
  / on (job, instance, target, port)
max by (job, instance, target, port) (sockeye_process_listen_queue_max{${sk}} > 0)
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
