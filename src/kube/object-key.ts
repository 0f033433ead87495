// The key a Kubernetes object is filed under, as client-go's
// MetaNamespaceKeyFunc spells it: "namespace/name", or the name alone for a
// cluster-scoped object. One spelling for the whole tree, so that a key made
// from a watch event, from a Service as the allocator sees it, or from a
// reference in the configuration finds the same entry. No dependencies: the
// pure modules (alloc, announce, config) use it too.

/** "namespace/name", or "name" when there is no namespace. */
export function namespacedKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

/** The key of an object as the API server returns it. */
export function objectKey(obj: { readonly metadata?: { readonly namespace?: string; readonly name?: string } }): string {
  return namespacedKey(obj.metadata?.namespace, obj.metadata?.name ?? '');
}

/** The namespace and name back from a key (names never contain a slash). */
export function splitKey(key: string): { namespace: string | undefined; name: string } {
  const slash = key.indexOf('/');
  return slash < 0 ? { namespace: undefined, name: key } : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}
