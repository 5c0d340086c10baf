import { describe, expect, it } from 'vitest';
import { DEFAULT_REDACT } from '../../../src/config/snapshots.js';
import { compileRedaction, redactCmdline } from '../../../src/snapshots/redact.js';

const defaults = compileRedaction(DEFAULT_REDACT);

describe('redactCmdline with the default patterns', () => {
  it.each([
    ['app --password=hunter2 --port=80', 'app --password=*** --port=80'],
    ['mysql -u root --password hunter2 db', 'mysql -u root --password *** db'],
    ['app --db-passwd=x --api-key=abc --apikey=abc', 'app --db-passwd=*** --api-key=*** --apikey=***'],
    ['app --client-secret s3 --token=t0k', 'app --client-secret *** --token=***'],
    ['env PASSWORD=x app', 'env PASSWORD=*** app'],
    ['psql postgres://u:pw@db:5432/x', 'psql ***'],
    ['app --ssl-private-key /etc/k.pem', 'app --ssl-private-key ***'],
  ])('%s', (input, expected) => {
    expect(redactCmdline(input, defaults)).toBe(expected);
  });

  it('leaves ordinary arguments alone, including words that only start like a secret', () => {
    const line = 'nginx: worker process --passive -c /etc/nginx.conf --port 8080 http://example.com/';
    expect(redactCmdline(line, defaults)).toBe(line);
  });

  it('a trailing flag with nothing after it stays as it is', () => {
    expect(redactCmdline('app --password', defaults)).toBe('app --password');
  });

  it('with no patterns, nothing changes', () => {
    expect(redactCmdline('app --password=x', [])).toBe('app --password=x');
  });

  it('configured patterns are case-insensitive', () => {
    expect(redactCmdline('app --PIN=1234', compileRedaction(['pin']))).toBe('app --PIN=***');
  });
});
