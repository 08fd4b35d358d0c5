// Small helpers the screens share: a time as the person's locale writes it, and the focus moved
// to an element once the next render has put it in the DOM.
import { useLayoutEffect, useRef } from "preact/hooks";

export const when = (iso) => (iso ? new Date(iso).toLocaleString() : "–");

// Returns a ref: set `ref.current = id`, and after the next commit the element with that id has
// the focus (a useEffect of an earlier render may run before the element exists).
export function useFocusAfter() {
  const next = useRef(null);
  useLayoutEffect(() => {
    if (!next.current) return;
    document.getElementById(next.current)?.focus();
    next.current = null;
  });
  return next;
}
