import type { Registry } from '../registry.js';
import { badRequest, notFound } from '../platform/errors/errors.js';
import { isUuid } from '../platform/ids.js';
import { LEGACY_PROJECT_PREFIX, parseApiKey } from './format.js';
import type { ApiKeyView } from './key-service.js';

/**
 * `gatehouse keys import-legacy`: stores a legacy `ory_apikey_` key so it keeps working for its
 * project. The person recorded as its creator must be someone who could have created a project key
 * there: a developer or owner of the project's workspace. Errors (OryError, the CLI prints the
 * reason): not a legacy key 400; unknown or deleted project 404; unknown console user, or one who is
 * not a developer or owner of that workspace, 400; a key already imported 409.
 */
export async function importLegacyProjectKey(
  r: Pick<Registry, 'db' | 'keys' | 'tenancy'>,
  input: { projectId: string; name: string; ownerEmail: string; value: string },
): Promise<ApiKeyView> {
  if (!input.value.startsWith(LEGACY_PROJECT_PREFIX) || parseApiKey(input.value) !== 'project') {
    throw badRequest(`That is not a legacy ${LEGACY_PROJECT_PREFIX} key.`);
  }
  const project = isUuid(input.projectId)
    ? await r.db.selectFrom('projects').select(['id', 'workspace_id']).where('id', '=', input.projectId).where('state', '!=', 'deleted').executeTakeFirst()
    : undefined;
  if (!project) throw notFound(`There is no project ${input.projectId}.`);
  const owner = await r.tenancy.users.byEmail(input.ownerEmail);
  if (!owner) throw badRequest(`There is no console user ${input.ownerEmail}.`);
  const member = await r.db
    .selectFrom('workspace_members')
    .select('role')
    .where('workspace_id', '=', project.workspace_id)
    .where('user_id', '=', owner.id)
    .executeTakeFirst();
  if (!member) throw badRequest(`${owner.email} is not a member of the workspace of project ${project.id}; pass the email of one of its developers or owners.`);
  if (member.role === 'viewer') throw badRequest(`${owner.email} is a viewer of the workspace of project ${project.id}; only a developer or owner can be recorded as a key's creator.`);
  return r.keys.importKey({ kind: 'project', workspaceId: project.workspace_id, projectId: project.id }, { name: input.name, ownerId: owner.id, value: input.value });
}
