import { Type } from '@sinclair/typebox';

// Small schema pieces shared by many routes.

export const Id = Type.String({ minLength: 1, maxLength: 128 });
export const Name = Type.String({ minLength: 1, maxLength: 256, pattern: '\\S' });
export const Email = Type.String({ format: 'email', maxLength: 320 });
export const Role = Type.Union([Type.Literal('owner'), Type.Literal('developer'), Type.Literal('viewer')]);
export const DateTime = Type.String({ format: 'date-time', maxLength: 64 });
