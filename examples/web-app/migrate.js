// The release phase: a stand-in for database migrations.
console.log(`migrating with GREETING=${process.env.GREETING || '(unset)'}`);
if (process.env.FAIL_MIGRATION === 'yes') {
  console.error('migration failed: column "price" already exists');
  process.exit(1);
}
console.log('migrations done');
