// How a failed /proc read is reported. The collectors decide what each kind
// means (a vanished process drops out; denied access marks it unreadable).

/** A /proc file whose text is not in the shape the kernel writes. */
export class ProcParseError extends Error {
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super(`${file}: ${detail}`);
    this.name = 'ProcParseError';
  }
}

export type FailureKind = 'vanished' | 'denied' | 'error';

/** ENOENT/ESRCH: gone (the process exited); EACCES/EPERM: no permission. */
export function failureKind(err: unknown): FailureKind {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT' || code === 'ESRCH' || code === 'ENOTDIR') return 'vanished';
  if (code === 'EACCES' || code === 'EPERM') return 'denied';
  return 'error';
}
