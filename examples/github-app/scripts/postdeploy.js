// Runs once, after a review app's first release (seed data, say).
console.log(`postdeploy: seeded ${process.env.HEROKU_APP_NAME} for PR #${process.env.HEROKU_PR_NUMBER} (${process.env.HEROKU_BRANCH})`);
