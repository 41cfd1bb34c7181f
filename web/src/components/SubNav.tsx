import { Link } from '../router';

/** Section navigation of a settings page: links, with the current one marked for assistive technology. */
export function SubNav({ label, base, tabs, current }: { label: string; base: string; tabs: { id: string; label: string }[]; current: string }) {
  return (
    <nav aria-label={label} className="subnav">
      {tabs.map((t) => (
        <Link key={t.id} to={t.id === tabs[0].id ? base : `${base}/${t.id}`} className={t.id === current ? 'active' : ''} aria-current={t.id === current ? 'page' : undefined}>
          {t.label}
        </Link>
      ))}
    </nav>
  );
}
