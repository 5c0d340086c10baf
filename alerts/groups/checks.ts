import type { GroupSpec } from '../rule.js';
import { seconds } from '../rule.js';

export const checksGroup: GroupSpec = {
  name: 'sockeye.checks',
  alerts: (c) => {
    const sk = c.selectors.sockeye;
    const one = c.instanceLabels.join(', ');
    // A check's clock starts at its last run, or at sockeye's start if it has
    // not run since: a fresh sockeye with an hourly check is not "not running".
    // The start is relabelled so `or` keeps both series and max picks the later;
    // `without` keeps every other label (namespace, pod, container…).
    const lastRunOrStart = `max without (clock) (
    sockeye_check_last_run_timestamp_seconds{${sk}}
  or
    label_replace(
      sockeye_check_interval_seconds{${sk}} * 0
      + on (${one}) group_left max by (${one}) (process_start_time_seconds{${sk}}),
      "clock", "start", "", ""
    )
)`;
    const expiresIn = `(sockeye_check_tls_cert_expiry_timestamp_seconds{${sk}} > 0) - time()`;
    const tlsDescription =
      'The earliest certificate expiry seen by check {{ $labels.check }} on sockeye {{ $labels.instance }} is {{ $value | humanizeDuration }} away (negative: already expired). Renew and deploy the certificate.';
    return [
      {
        alert: 'CheckNotRunning',
        expr: `
time() - ${lastRunOrStart}
>
  clamp_min(${c.checkNotRunning.intervals} * sockeye_check_interval_seconds{${sk}}, ${seconds(c.checkNotRunning.atLeast)})
and on (${one}) up{${sk}} == 1`,
        for: c.for.checkNotRunning,
        severity: 'critical',
        summary: 'Check {{ $labels.check }} is not running.',
        description: `Check {{ $labels.check }} on sockeye {{ $labels.instance }} last ran {{ $value | humanizeDuration }} ago, more than ${c.checkNotRunning.intervals} times its interval: whatever it checks is unwatched.`,
      },
      {
        alert: 'CheckFailing',
        expr: `sockeye_check_success{${sk}} == 0`,
        for: c.for.checkFailing,
        severity: 'critical',
        summary: 'Check {{ $labels.check }} is failing.',
        description:
          'The {{ $labels.type }} check {{ $labels.check }} on sockeye {{ $labels.instance }} has failed on every run for a while; sockeye_check_failures_total{check="{{ $labels.check }}"} says why (timeout, refused, tls, status, body, expect, rcode, not_serving…).',
      },
      {
        alert: 'TLSCertificateExpiring',
        expr: `${expiresIn} < ${seconds(c.tlsCertificate.warningWithin)}`,
        for: c.for.tlsCertificateExpiring,
        severity: 'warning',
        summary: `The certificate of check {{ $labels.check }} expires within ${c.tlsCertificate.warningWithin}.`,
        description: tlsDescription,
      },
      {
        alert: 'TLSCertificateExpiring',
        expr: `${expiresIn} < ${seconds(c.tlsCertificate.criticalWithin)}`,
        for: c.for.tlsCertificateExpiring,
        severity: 'critical',
        summary: `The certificate of check {{ $labels.check }} expires within ${c.tlsCertificate.criticalWithin}.`,
        description: tlsDescription,
      },
    ];
  },
};
