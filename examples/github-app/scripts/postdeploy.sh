#!/bin/sh
# Runs once, after a review app's first release: seeds its database.
set -e
echo "postdeploy: seeding $HEROKU_APP_NAME for PR #$HEROKU_PR_NUMBER ($HEROKU_BRANCH)"
psql "$DATABASE_URL" -qv ON_ERROR_STOP=1 -c "CREATE TABLE seeds (note text)" -c "INSERT INTO seeds VALUES ('seeded for PR $HEROKU_PR_NUMBER')"
echo "postdeploy: seeds table has $(psql "$DATABASE_URL" -tAc 'SELECT count(*) FROM seeds') row(s)"
