// Does a topic name match a subscription's filter? Both are byte strings and already valid (the filter per
// [MQTT-4.7.1-2] and [MQTT-4.7.1-3]), so '#' is always the whole last level. Scans in place, allocates nothing.
export function matchTopic(filter: string, topic: string): boolean {
  const fl = filter.length;
  const tl = topic.length;
  const f0 = filter.charAt(0);
  // A filter starting with a wildcard does not match a topic starting with '$' [MQTT-4.7.2-1].
  if (topic.charAt(0) === '$' && (f0 === '+' || f0 === '#')) return false;
  let i = 0;
  let j = 0;
  while (i < fl) {
    const c = filter.charAt(i);
    if (c === '#') return true;
    if (c === '+') {
      while (j < tl && topic.charAt(j) !== '/') j++; // one whole level, possibly empty
      i++;
      continue;
    }
    // "a/#" also matches "a" itself: the topic ended where the filter has "/#" left
    if (j === tl) return c === '/' && filter.charAt(i + 1) === '#';
    if (c !== topic.charAt(j)) return false;
    i++;
    j++;
  }
  return j === tl;
}
