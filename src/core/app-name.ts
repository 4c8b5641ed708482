// Heroku's app name rule: starts with a letter, lowercase letters, digits and dashes, 3–30 long.
export const APP_NAME_RULE = 'App names start with a lowercase letter, contain only lowercase letters, digits and dashes, end with a letter or digit, and are 3 to 30 characters long.';

export function appNameProblem(name: string): string | undefined {
  return /^[a-z][a-z0-9-]{1,28}[a-z0-9]$/.test(name) ? undefined : `"${name}" is not a valid app name. ${APP_NAME_RULE}`;
}

const ADJECTIVES = ['ancient', 'autumn', 'billowing', 'bitter', 'blooming', 'bold', 'calm', 'crisp', 'damp', 'dawn', 'floating', 'fresh', 'gentle', 'hidden', 'icy', 'lively', 'misty', 'quiet', 'shy', 'silent', 'sparkling', 'still', 'sunny', 'tranquil', 'wandering', 'young'];
const NOUNS = ['bay', 'brook', 'cliff', 'cloud', 'dawn', 'dew', 'field', 'fire', 'forest', 'glade', 'harbor', 'lake', 'meadow', 'moon', 'ocean', 'pine', 'reef', 'river', 'sea', 'shore', 'sky', 'snow', 'star', 'stream', 'tide', 'wave'];

/** A name as Heroku makes one when none is given (`misty-harbor-48213`); `random` returns [0, 1). */
export function generatedAppName(random: () => number = Math.random): string {
  const pick = (list: string[]) => list[Math.floor(random() * list.length)]!;
  return `${pick(ADJECTIVES)}-${pick(NOUNS)}-${String(Math.floor(random() * 90_000) + 10_000)}`;
}
