/** include/net/tcp_states.h, lowercased as label values. */
const TCP_STATES: Record<number, string> = {
  1: 'established',
  2: 'syn_sent',
  3: 'syn_recv',
  4: 'fin_wait1',
  5: 'fin_wait2',
  6: 'time_wait',
  7: 'close',
  8: 'close_wait',
  9: 'last_ack',
  10: 'listen',
  11: 'closing',
  12: 'new_syn_recv',
};

export const TCP_LISTEN = 10;

export function tcpStateName(state: number): string {
  return TCP_STATES[state] ?? 'unknown';
}
