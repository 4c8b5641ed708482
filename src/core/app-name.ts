// Heroku's app name rule: starts with a letter, lowercase letters, digits and dashes, 3–30 long.
export const APP_NAME_RULE = 'App names start with a lowercase letter, contain only lowercase letters, digits and dashes, end with a letter or digit, and are 3 to 30 characters long.';

export function appNameProblem(name: string): string | undefined {
  return /^[a-z][a-z0-9-]{1,28}[a-z0-9]$/.test(name) ? undefined : `"${name}" is not a valid app name. ${APP_NAME_RULE}`;
}
