// Metric names the dashboards may use. Anything else in a panel query is a
// typo that would draw an empty panel, so the tests fail on it.

/**
 * sockeye's metrics (docs/metrics.md, checks.md and heartbeats.md), named as the
 * exporter names them: test/unit/dashboards-metrics.test.ts checks each one
 * against a real app's /metrics.
 */
export const SOCKEYE_METRICS: readonly string[] = [
  'sockeye_target_processes',
  'sockeye_target_processes_min',
  'sockeye_target_readable',
  'sockeye_process_restarts_total',
  'sockeye_process_starts_total',
  'sockeye_process_exits_total',
  'sockeye_process_open_fds',
  'sockeye_process_max_fds',
  'sockeye_process_fd_usage_ratio',
  'sockeye_process_fds',
  'sockeye_process_fds_by_path',
  'sockeye_process_sockets',
  'sockeye_process_sockets_by_peer',
  'sockeye_process_socket_queue_bytes',
  'sockeye_process_listen_queue_length',
  'sockeye_process_listen_queue_max',
  'sockeye_process_socket_oldest_age_seconds',
  'sockeye_process_long_lived_sockets',
  'sockeye_process_long_lived_socket_threshold_seconds',
  'sockeye_check_overruns_total',
  'sockeye_process_resident_memory_bytes',
  'sockeye_process_memory_limit_bytes',
  'sockeye_process_working_set_bytes',
  'sockeye_process_oom_kills_total',
  'sockeye_process_cpu_seconds_total',
  'sockeye_process_threads',
  'sockeye_scrape_collector_duration_seconds',
  'sockeye_scrape_collector_success',
  'sockeye_check_success',
  'sockeye_check_duration_seconds',
  'sockeye_check_runs_total',
  'sockeye_check_failures_total',
  'sockeye_check_last_run_timestamp_seconds',
  'sockeye_check_last_success_timestamp_seconds',
  'sockeye_check_interval_seconds',
  'sockeye_check_tls_cert_expiry_timestamp_seconds',
  'sockeye_check_http_duration_seconds',
  'sockeye_check_dns_answer_records',
  'sockeye_scheduler_heartbeat_timestamp_seconds',
  'sockeye_heartbeat_last_ping_timestamp_seconds',
  'sockeye_heartbeat_period_seconds',
  'sockeye_heartbeat_grace_seconds',
  'sockeye_heartbeat_pings_total',
  'sockeye_heartbeat_last_duration_seconds',
  'sockeye_heartbeat_deadline_timestamp_seconds',
  'sockeye_heartbeat_status',
  'sockeye_heartbeat_running',
  'sockeye_snapshots_taken_total',
  'sockeye_snapshots_write_failures_total',
  'sockeye_snapshots_stored',
  'sockeye_snapshots_stored_bytes',
];

/** prom-client's collectDefaultMetrics(): sockeye's own process. */
export const PROM_CLIENT_METRICS: readonly string[] = [
  'process_cpu_seconds_total',
  'process_open_fds',
  'process_max_fds',
  'process_resident_memory_bytes',
  'process_start_time_seconds',
  'nodejs_eventloop_lag_seconds',
  'nodejs_eventloop_lag_p99_seconds',
  'nodejs_heap_space_size_used_bytes',
  'nodejs_heap_size_used_bytes',
];

/** Prometheus' and Alertmanager's own metrics, and what Prometheus synthesises. */
export const PIPELINE_METRICS: readonly string[] = [
  'up',
  'ALERTS',
  'prometheus_build_info',
  'prometheus_config_last_reload_successful',
  'prometheus_rule_evaluation_failures_total',
  'prometheus_rule_group_last_duration_seconds',
  'prometheus_rule_group_interval_seconds',
  'prometheus_notifications_alertmanagers_discovered',
  'prometheus_notifications_sent_total',
  'prometheus_notifications_errors_total',
  'prometheus_notifications_dropped_total',
  'prometheus_notifications_queue_length',
  'prometheus_notifications_queue_capacity',
  'alertmanager_build_info',
  'alertmanager_config_last_reload_successful',
  'alertmanager_alerts',
  'alertmanager_notifications_total',
  'alertmanager_notifications_failed_total',
];

export const KNOWN_METRICS: ReadonlySet<string> = new Set([...SOCKEYE_METRICS, ...PROM_CLIENT_METRICS, ...PIPELINE_METRICS]);
