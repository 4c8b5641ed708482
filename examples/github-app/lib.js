const VERSION = 'one';

const describe = (env) => `${env.GREETING || 'hi'}; version=${VERSION}; app=${env.HEROKU_APP_NAME || '-'}; pr=${env.HEROKU_PR_NUMBER || '-'}; branch=${env.HEROKU_BRANCH || '-'}`;

module.exports = { VERSION, describe };
