/**
 * `mqbench` (`npm run bench`): the producer/consumer benchmark over the project's TypeScript client. Without
 * `--namesrv` it starts NameServer + broker in a child process with a temp dir and removes them afterwards. Ctrl-C
 * stops early and still prints the report; a second Ctrl-C exits at once. `--help` lists the flags.
 */
import { mqbench } from '../bench/main.js';

const controller = new AbortController();
let interrupts = 0;
process.on('SIGINT', () => {
  interrupts++;
  if (interrupts === 1) {
    process.stderr.write('mqbench: stopping (Ctrl-C again to exit at once)\n');
    controller.abort();
  } else {
    process.exit(130);
  }
});
process.on('SIGTERM', () => controller.abort());

mqbench(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  signal: controller.signal,
}).then(
  (code) => {
    process.exitCode = code;
    // Client timers (route polling, heartbeats) are stopped by shutdown; exit promptly anyway.
    setTimeout(() => process.exit(code), 200).unref();
  },
  (err: unknown) => {
    process.stderr.write(`mqbench: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
