import { type Refusal, refuse } from '../core/result.ts';

export type DirectoryRefusalCode =
  | 'invalid_name'
  | 'invalid_timezone'
  | 'invalid_currency'
  | 'invalid_email'
  | 'email_taken'
  | 'identity_taken'
  | 'group_taken'
  | 'not_found';

export type DirectoryRefusal = Refusal<DirectoryRefusalCode>;

export const directoryRefusal = (code: DirectoryRefusalCode, message: string): DirectoryRefusal =>
  refuse(code, message);

export function checkName(what: string, name: string): DirectoryRefusal | undefined {
  const trimmed = name.trim();
  if (trimmed.length === 0 || trimmed.length > 200) {
    return directoryRefusal('invalid_name', `A ${what} name is 1 to 200 characters.`);
  }
  return undefined;
}
