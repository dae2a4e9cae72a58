#!/bin/sh
# Starts Alertmanager on one host (docker-compose.production.yml): with its configuration when the secret
# slack_webhook_url (SLACK_WEBHOOK_URL of the env file) has a URL; otherwise with a configuration that has no
# receiver, saying so once, so that a fresh `up` needs nothing the operator has not set. The official image is
# BusyBox based: /bin/sh and printf are there. Arguments: Alertmanager's own (the compose file's command).
if [ -s /run/secrets/slack_webhook_url ]; then
  exec /bin/alertmanager "$@"
fi
echo "alertmanager: SLACK_WEBHOOK_URL is empty: alerts are evaluated by Prometheus but not sent anywhere" >&2
printf 'route:\n  receiver: none\nreceivers:\n  - name: none\n' > /tmp/alertmanager.none.yml
exec /bin/alertmanager --config.file=/tmp/alertmanager.none.yml --storage.path=/alertmanager
