import { useEffect, useState, type ComponentType } from 'react';

/**
 * A component loaded on first use, in its own chunk, like React.lazy, but without Suspense: React
 * holds back content revealed after a Suspense fallback by up to 300 ms (to batch reveals), and a
 * screen that waits on two lazy chunks in a row would pay that twice. This renders `fallback` until
 * the chunk is there, then the component at once. `preload()` starts the download early (beside a
 * fetch the screen needs anyway).
 */
export function lazyComponent<P extends object>(load: () => Promise<{ default: ComponentType<P> }>, fallback: React.ReactNode) {
  let Loaded: ComponentType<P> | null = null;
  let failed = false;
  let pending: Promise<void> | null = null;
  const preload = () =>
    (pending ??= load().then(
      (m) => {
        Loaded = m.default;
      },
      () => {
        failed = true;
        pending = null; // a later visit tries again
      },
    ));
  function Lazy(props: P) {
    const [shown, rerender] = useState(() => Loaded);
    useEffect(() => {
      let live = true;
      // Also when the chunk arrived between this render and this effect.
      if (!shown) void preload().then(() => live && rerender(() => Loaded));
      return () => {
        live = false;
      };
    }, [shown]);
    if (Loaded) return <Loaded {...props} />;
    if (failed)
      return (
        <p className="error" role="alert">
          This screen could not be loaded. Check your connection and reload the page.
        </p>
      );
    return <>{fallback}</>;
  }
  return Object.assign(Lazy, { preload });
}
