/**
 * Namespaces (Java's NamespaceUtil): a tenant prefix `ns%` on topics and groups. Retry and DLQ topics keep their
 * system prefix in front: `%RETRY%ns%group`.
 */

const NAMESPACE_SEPARATOR = '%';
const RETRY_PREFIX = '%RETRY%';
const DLQ_PREFIX = '%DLQ%';

function systemPrefixOf(name: string): string {
  if (name.startsWith(RETRY_PREFIX)) return RETRY_PREFIX;
  if (name.startsWith(DLQ_PREFIX)) return DLQ_PREFIX;
  return '';
}

/** `name` inside `namespace` (unchanged when there is no namespace or it is already inside it). */
export function withNamespace(namespace: string | undefined, name: string): string {
  if (namespace === undefined || namespace === '') return name;
  const prefix = systemPrefixOf(name);
  const bare = name.slice(prefix.length);
  if (bare.startsWith(namespace + NAMESPACE_SEPARATOR)) return name;
  return `${prefix}${namespace}${NAMESPACE_SEPARATOR}${bare}`;
}

/** `name` with `namespace` taken off (unchanged when it is not inside it). */
export function withoutNamespace(namespace: string | undefined, name: string): string {
  if (namespace === undefined || namespace === '') return name;
  const prefix = systemPrefixOf(name);
  const bare = name.slice(prefix.length);
  const own = namespace + NAMESPACE_SEPARATOR;
  return bare.startsWith(own) ? prefix + bare.slice(own.length) : name;
}
