// Runs before a review app is destroyed (release what it holds elsewhere, say).
console.log(`pr-predestroy: releasing ${process.env.HEROKU_APP_NAME} of PR #${process.env.HEROKU_PR_NUMBER}`);
