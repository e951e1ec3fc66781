// Does a topic name match a subscription's filter? Both are byte strings and already valid (the filter per
// [MQTT-4.7.1-2] and [MQTT-4.7.1-3]), so '#' is always the whole last level. Level by level with the
// interpreter's own split() and comparisons: on the board a loop over characters costs far more than the
// short-lived arrays.
export function matchTopic(filter: string, topic: string): boolean {
  // the same text: a topic name has no wildcards, so this is an exact filter (one starting with '$' too)
  if (filter === topic) return true;
  const f0 = filter.charAt(0);
  // A filter starting with a wildcard does not match a topic starting with '$' [MQTT-4.7.2-1].
  if (topic.charAt(0) === '$' && (f0 === '+' || f0 === '#')) return false;
  if (filter.indexOf('+') < 0 && filter.indexOf('#') < 0) return filter === topic;
  const f = filter.split('/');
  const t = topic.split('/');
  for (let k = 0; k < f.length; k++) {
    // '#' matches the rest, none included: "a/#" matches "a" itself
    if (f[k] === '#') return true;
    // '+' matches one whole level, possibly empty
    if (k >= t.length || (f[k] !== '+' && f[k] !== t[k])) return false;
  }
  return f.length === t.length;
}
