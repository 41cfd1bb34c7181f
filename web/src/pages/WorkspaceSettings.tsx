import { useEffect, useId, useState } from 'react';
import { api, can, formatDate, type Invite, type Member, type Role } from '../api';
import { useAction, useLoad } from '../hooks';
import { useSession, useWorkspace } from '../session';
import { navigate } from '../router';
import { ConfirmDialog, Dialog, ErrorMessage, FormActions } from '../components/Dialog';
import { CopyField } from '../components/CopyField';
import { ApiKeys } from '../components/ApiKeys';
import { SubNav } from '../components/SubNav';
import { inviteLink } from '../invite-link';
import { WORKSPACE_TABS } from '../settings-tabs';

/** Roles from the least to the most privileged, the order every role picker lists them in. */
const ROLES: Role[] = ['viewer', 'developer', 'owner'];
const ROLE_NAME: Record<Role, string> = { viewer: 'Viewer', developer: 'Developer', owner: 'Owner' };
const ROLE_TEXT: Record<Role, string> = {
  viewer: 'Viewer: sees everything, changes nothing',
  developer: 'Developer: projects, their settings and API keys',
  owner: 'Owner: everything, including members and the workspace itself',
};

/** `tab` is one of WORKSPACE_TABS: the router answers "Page not found" for any other. */
export default function WorkspaceSettings({ ws, tab }: { ws: string; tab: string }) {
  const { role } = useWorkspace();
  const members = useLoad(() => api.members(ws), [ws]);
  return (
    <section className="page">
      <div className="page-head">
        <h1>Workspace settings</h1>
      </div>
      <SubNav label="Workspace settings" base={`/w/${ws}/settings`} tabs={WORKSPACE_TABS} current={tab} />
      {tab === 'general' && <General ws={ws} canAdmin={can.admin(role)} />}
      {tab === 'members' && <Members ws={ws} role={role} members={members} />}
      {tab === 'api-keys' && (
        <ApiKeys
          kind="workspace"
          scopeKey={ws}
          canManage={can.admin(role) /* a workspace key acts with owner rights: owners only */}
          members={members.data}
          list={() => api.workspaceKeys(ws)}
          create={(key) => api.createWorkspaceKey(ws, key)}
          rotate={(id, grace) => api.rotateWorkspaceKey(ws, id, grace)}
          remove={(id) => api.deleteWorkspaceKey(ws, id)}
        />
      )}
    </section>
  );
}

function General({ ws, canAdmin }: { ws: string; canAdmin: boolean }) {
  const { current, reload } = useWorkspace();
  const [name, setName] = useState(current?.name ?? '');
  const [saved, setSaved] = useState(false);
  const { busy, error, run } = useAction();
  const id = useId();
  useEffect(() => setName(current?.name ?? ''), [current?.name]);
  return (
    <form
      className="card"
      onSubmit={async (e) => {
        e.preventDefault();
        setSaved(false);
        if (await run(() => api.renameWorkspace(ws, name.trim()))) {
          await reload();
          setSaved(true);
        }
      }}
    >
      <h2>General</h2>
      <div className="field">
        <label htmlFor={id}>Workspace name</label>
        <input id={id} value={name} onChange={(e) => setName(e.target.value)} required maxLength={256} disabled={!canAdmin} />
      </div>
      <dl className="meta">
        <div>
          <dt>Workspace ID</dt>
          <dd className="mono">{ws}</dd>
        </div>
      </dl>
      {!canAdmin && <p className="notice">Only owners can rename the workspace.</p>}
      <ErrorMessage>{error}</ErrorMessage>
      <p role="status" className="success">
        {saved ? 'Saved.' : ''}
      </p>
      {canAdmin && (
        <button type="submit" className="btn primary" disabled={busy}>
          {busy ? 'Saving…' : 'Save'}
        </button>
      )}
    </form>
  );
}

function Members({ ws, role, members }: { ws: string; role: Role | null; members: ReturnType<typeof useLoad<Member[]>> }) {
  const { user } = useSession();
  const { reload: reloadWorkspaces } = useWorkspace();
  const admin = can.admin(role);
  const invites = useLoad(() => (admin ? api.invites(ws) : Promise.resolve([] as Invite[])), [ws, admin]);
  const [inviting, setInviting] = useState(false);
  const [removing, setRemoving] = useState<Member | null>(null);
  // Taking away your own owner role needs a confirmation: only another owner can give it back.
  const [demotingSelf, setDemotingSelf] = useState<Role | null>(null);
  const [status, setStatus] = useState('');
  const act = useAction();
  const rm = useAction();
  const headingId = useId();
  const changeRole = async (m: Member, r: Role) => {
    setStatus('');
    const ok = await act.run(() => api.changeRole(ws, m.id, r));
    if (ok) setStatus(`${m.email} is now ${ROLE_NAME[r].toLowerCase()}.`);
    void members.reload();
    // Your own role decides which controls the console shows you.
    if (ok && m.id === user?.id) await reloadWorkspaces();
  };

  return (
    <>
      <section className="card" aria-labelledby={headingId}>
        <div className="card-head">
          <div>
            <h2 id={headingId}>Members</h2>
            <p className="muted">People who can sign in to this workspace, and what their role lets them do.</p>
          </div>
          {admin && (
            <button type="button" className="btn primary" onClick={() => setInviting(true)}>
              Invite member
            </button>
          )}
        </div>
        {!admin && <p className="notice">Only owners can invite, remove or change the role of members.</p>}
        <ErrorMessage>{members.error || act.error}</ErrorMessage>
        <p role="status" className="success">
          {status}
        </p>
        {members.data && (
          <div className="table-wrap">
            <table>
              <caption className="sr-only">Members</caption>
              <thead>
                <tr>
                  <th scope="col">Member</th>
                  <th scope="col">Role</th>
                  {admin && (
                    <th scope="col">
                      <span className="sr-only">Actions</span>
                    </th>
                  )}
                </tr>
              </thead>
              <tbody>
                {members.data.map((m) => (
                  <tr key={m.id}>
                    <td>
                      <span className="strong">{m.name}</span>
                      {m.id === user?.id && <span className="badge">You</span>}
                      <br />
                      <span className="muted">{m.email}</span>
                    </td>
                    <td>
                      {admin ? (
                        <select
                          aria-label={`Role of ${m.email}`}
                          value={m.role}
                          disabled={act.busy}
                          onChange={async (e) => {
                            const r = e.target.value as Role;
                            if (m.id === user?.id && m.role === 'owner' && r !== 'owner') setDemotingSelf(r);
                            else await changeRole(m, r);
                          }}
                        >
                          {ROLES.map((r) => (
                            <option key={r} value={r}>
                              {ROLE_NAME[r]}
                            </option>
                          ))}
                        </select>
                      ) : (
                        <span className={`badge role-${m.role}`}>{m.role}</span>
                      )}
                    </td>
                    {admin && (
                      <td className="row-actions">
                        <button type="button" className="btn small danger-ghost" onClick={() => setRemoving(m)} aria-label={m.id === user?.id ? 'Leave the workspace' : `Remove ${m.email} from the workspace`}>
                          {m.id === user?.id ? 'Leave' : 'Remove'}
                        </button>
                      </td>
                    )}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      {admin && invites.data && invites.data.length > 0 && (
        <section className="card" aria-label="Pending invitations">
          <h2>Pending invitations</h2>
          <ul className="plain-list">
            {invites.data.map((i) => (
              <li key={i.id}>
                <span>
                  <span className="strong">{i.email}</span> as {i.role} · expires {formatDate(i.expires_at)}
                </span>
                <button
                  type="button"
                  className="btn small danger-ghost"
                  aria-label={`Revoke the invitation of ${i.email}`}
                  onClick={async () => {
                    await act.run(() => api.revokeInvite(ws, i.id));
                    void invites.reload();
                  }}
                >
                  Revoke
                </button>
              </li>
            ))}
          </ul>
        </section>
      )}
      {inviting && (
        <InviteDialog
          ws={ws}
          onClose={() => {
            setInviting(false);
            void invites.reload();
          }}
        />
      )}
      {demotingSelf && user && (
        <ConfirmDialog
          title="Change your own role?"
          body={
            <p>
              You will be a <strong>{ROLE_NAME[demotingSelf].toLowerCase()}</strong> of this workspace and can no longer manage its members, invitations or workspace API keys. Only another owner can make you an owner again.
            </p>
          }
          confirmLabel={`Become ${ROLE_NAME[demotingSelf].toLowerCase()}`}
          busy={act.busy}
          onClose={() => setDemotingSelf(null)}
          onConfirm={async () => {
            const r = demotingSelf;
            setDemotingSelf(null);
            const me = members.data?.find((m) => m.id === user.id);
            if (me) await changeRole(me, r);
          }}
        />
      )}
      {removing && (
        <ConfirmDialog
          title={removing.id === user?.id ? 'Leave this workspace?' : 'Remove this member?'}
          body={
            removing.id === user?.id ? (
              <p>You lose access to this workspace and its projects until an owner invites you again. API keys you created keep working.</p>
            ) : (
              <p>
                <strong>{removing.email}</strong> loses access to this workspace and its projects. API keys they created keep working.
              </p>
            )
          }
          confirmLabel={removing.id === user?.id ? 'Leave workspace' : 'Remove member'}
          busy={rm.busy}
          error={rm.error}
          onClose={() => {
            setRemoving(null);
            rm.setError('');
          }}
          onConfirm={async () => {
            const ok = await rm.run(async () => {
              await api.removeMember(ws, removing.id);
              return true;
            });
            if (ok) {
              const left = removing.id === user?.id;
              setRemoving(null);
              if (left) {
                // Nothing here is theirs to see any more: back to their other workspaces (or the first-run screen).
                await reloadWorkspaces();
                navigate('/', { replace: true });
              } else void members.reload();
            }
          }}
        />
      )}
    </>
  );
}

function InviteDialog({ ws, onClose }: { ws: string; onClose(): void }) {
  const [email, setEmail] = useState('');
  // The least privileged role by default: granting more is a deliberate choice.
  const [role, setRole] = useState<Role>('viewer');
  const [link, setLink] = useState('');
  const { busy, error, run } = useAction();
  const emailId = useId();
  const roleId = useId();
  if (link) {
    return (
      <Dialog title="Invitation created" onClose={onClose}>
        <p>There is no mail server, so send this link to {email} yourself. It works once and expires in 7 days; it is not shown again.</p>
        <CopyField label="Invitation link" value={link} autoFocusButton />
        <div className="actions">
          <button type="button" className="btn" onClick={onClose}>
            Done
          </button>
        </div>
      </Dialog>
    );
  }
  return (
    <Dialog title="Invite a member" onClose={onClose}>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          const inv = await run(() => api.createInvite(ws, email.trim(), role));
          // The link carries the invited email too, so the sign-up form can be filled in for them.
          if (inv?.token) setLink(inviteLink(location.origin, inv.token, inv.email));
        }}
      >
        <div className="field">
          <label htmlFor={emailId}>Email</label>
          <input id={emailId} type="email" value={email} onChange={(e) => setEmail(e.target.value)} required autoFocus />
        </div>
        <div className="field">
          <label htmlFor={roleId}>Role</label>
          <select id={roleId} value={role} onChange={(e) => setRole(e.target.value as Role)}>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {ROLE_TEXT[r]}
              </option>
            ))}
          </select>
        </div>
        <ErrorMessage>{error}</ErrorMessage>
        <FormActions onCancel={onClose} busy={busy} label="Create invitation" busyLabel="Inviting…" />
      </form>
    </Dialog>
  );
}
