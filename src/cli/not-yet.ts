/** Entry point for executables whose issue has not landed yet: say what is missing and exit 1. */
const what: Record<string, string> = {
  mqnamesrv: 'the NameServer is not implemented yet (planned: issue "NameServer").',
  mqbroker: 'the Broker is not implemented yet (planned: issue "Broker").',
  mqadmin: 'the admin CLI is not implemented yet (planned).',
  mqbench: 'the benchmark tool is not implemented yet (planned: issue "Benchmark tool").',
  local:
    'the local cluster (NameServer + Broker in one process) comes with the Broker issue; it is not implemented yet.',
};

export function notYet(name: string): never {
  process.stderr.write(`${name}: ${what[name] ?? 'not implemented yet.'}\n`);
  process.exit(1);
}
