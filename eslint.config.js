import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // examples/ are users' apps (CommonJS, their own style), not Slipway's code.
  { ignores: ['dist/', 'node_modules/', '.slipway/', 'examples/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', fetch: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'Read configuration in src/config.ts (server) or src/cli/context.ts (CLI).' }],
    },
  },
  // The dashboard's one browser script.
  { files: ['src/web/assets/**/*.js'], languageOptions: { sourceType: 'script', globals: { document: 'readonly', window: 'readonly', location: 'readonly', EventSource: 'readonly', fetch: 'readonly', setTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', encodeURIComponent: 'readonly' } } },
  // The built-in buildpacks' helper scripts run with the app's Node.js inside the build: CommonJS.
  { files: ['buildpacks/**/*.js'], languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'readonly' } }, rules: { '@typescript-eslint/no-require-imports': 'off' } },
  // The pre-receive hook is its own program: git hands it its environment.
  { files: ['src/config.ts', 'src/cli/context.ts', 'src/**/*.test.ts', 'test/**', 'bench/**'], rules: { 'no-restricted-properties': 'off' } },
);
