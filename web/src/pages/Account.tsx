import { useId, useState } from 'react';
import { api } from '../api';
import { useAction } from '../hooks';
import { useSession } from '../session';
import { ErrorMessage } from '../components/Dialog';

export default function Account() {
  const { user } = useSession();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [done, setDone] = useState(false);
  const { busy, error, run } = useAction();
  const a = useId();
  const b = useId();
  return (
    <section className="page narrow">
      <h1>Account</h1>
      <div className="card">
        <dl className="meta">
          <div>
            <dt>Email</dt>
            <dd>{user?.email}</dd>
          </div>
          <div>
            <dt>Name</dt>
            <dd>{user?.name}</dd>
          </div>
        </dl>
      </div>
      <form
        className="card"
        onSubmit={async (e) => {
          e.preventDefault();
          setDone(false);
          const ok = await run(async () => {
            await api.changePassword(current, next);
            return true;
          });
          if (ok) {
            setDone(true);
            setCurrent('');
            setNext('');
          }
        }}
      >
        <h2>Change password</h2>
        <div className="field">
          <label htmlFor={a}>Current password</label>
          <input id={a} type="password" autoComplete="current-password" value={current} onChange={(e) => setCurrent(e.target.value)} required />
        </div>
        <div className="field">
          <label htmlFor={b}>New password</label>
          <input id={b} type="password" autoComplete="new-password" minLength={8} value={next} onChange={(e) => setNext(e.target.value)} required />
        </div>
        <ErrorMessage>{error}</ErrorMessage>
        <p role="status" className="success">
          {done ? 'Your password is changed. Other sessions were signed out.' : ''}
        </p>
        <button type="submit" className="btn primary" disabled={busy}>
          {busy ? 'Saving…' : 'Change password'}
        </button>
      </form>
    </section>
  );
}
