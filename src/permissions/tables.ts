// Tables of the permissions domain, merged into the typed Database (src/database.ts).

/**
 * One relation tuple `namespace:object#relation@subject` of one project. The subject is either a
 * subject id or a subject set (namespace, object, relation; the relation may be empty). The primary
 * key is (project_id, namespace, object, relation, subject_type, subject_key): a check is one lookup
 * of that key, and expanding a node's subject sets is one range scan on its prefix with
 * subject_type = 'set'. `subject_key` is the subject in canonical form (the id itself, or the JSON
 * array [namespace, object, relation]) because NULLs in composite unique keys differ by dialect.
 */
export interface RelationTuplesTable {
  project_id: string;
  namespace: string;
  object: string;
  relation: string;
  subject_type: 'id' | 'set';
  subject_key: string;
  subject_id: string | null;
  subject_set_namespace: string | null;
  subject_set_object: string | null;
  subject_set_relation: string | null;
  created_at: string;
}

export interface PermissionTables {
  relation_tuples: RelationTuplesTable;
}
