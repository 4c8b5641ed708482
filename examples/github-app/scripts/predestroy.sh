#!/bin/sh
# Runs before a review app is destroyed: reads what postdeploy left (a real app would archive it).
set -e
echo "pr-predestroy: releasing $HEROKU_APP_NAME of PR #$HEROKU_PR_NUMBER; its database says: $(psql "$DATABASE_URL" -tAc 'SELECT note FROM seeds')"
