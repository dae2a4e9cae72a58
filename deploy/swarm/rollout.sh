#!/usr/bin/env bash
# Rolls AgentC2 out on Docker Swarm from docker-stack.production.yml: images, settings, the Caddyfile and alert
# rules (configs named by a digest of their content) and the webhook secret (named by a digest of its value).
# Each service updates as its update_config says (start-first, one task at a time, rollback on failure).
# Needs: DOCKER_HOST (a manager), the stack's variables (.env.example), SLACK_WEBHOOK_URL.
# Optional: STACK (default agentc2), RESOLVE_IMAGE (default always; never when the images are on the nodes),
# STACK_OVERRIDES (stack files of the site merged over the generated one, e.g. smaller reservations).
# Generated from the AppHost by `aspire publish`; do not edit (docs/deployment.md).
set -euo pipefail
cd "$(dirname "$0")/../.."
stack="${STACK:-agentc2}"

: "${SLACK_WEBHOOK_URL:?set SLACK_WEBHOOK_URL (see .env.example)}"
digest=$(printf '%s' "$SLACK_WEBHOOK_URL" | sha256sum | cut -c1-12)
export SLACK_WEBHOOK_SECRET="${stack}_slack_webhook_url_${digest}"
if ! docker secret inspect "$SLACK_WEBHOOK_SECRET" >/dev/null 2>&1; then
  printf '%s' "$SLACK_WEBHOOK_URL" | docker secret create --label "agentc2.stack=$stack" "$SLACK_WEBHOOK_SECRET" - >/dev/null
fi

files=(-c docker-stack.production.yml)
for override in ${STACK_OVERRIDES:-}; do files+=(-c "$override"); done

started=$(date +%s)
deployed=0
docker stack deploy --with-registry-auth --prune --resolve-image "${RESOLVE_IMAGE:-always}" --detach=false \
  "${files[@]}" "$stack" || deployed=$?

# A service whose update failed was rolled back (its old tasks kept serving): the rollout failed.
failed=()
for service in $(docker stack services --format '{{.Name}}' "$stack"); do
  state=$(docker service inspect --format '{{if .UpdateStatus}}{{.UpdateStatus.State}}{{end}}' "$service")
  case "$state" in
    rollback_started|rollback_paused|rollback_completed|paused)
      failed+=("$service ($state: $(docker service inspect --format '{{.UpdateStatus.Message}}' "$service"))") ;;
  esac
done

# Configs and secrets of earlier versions that no service mounts any more (Swarm refuses to remove one in use).
docker config ls --filter "label=com.docker.stack.namespace=$stack" -q | xargs -r docker config rm >/dev/null 2>&1 || true
docker secret ls --filter "label=agentc2.stack=$stack" -q | xargs -r docker secret rm >/dev/null 2>&1 || true

if [ ${#failed[@]} -gt 0 ]; then
  printf 'rollout failed and was rolled back: %s\n' "${failed[@]}" >&2
  exit 1
fi
if [ "$deployed" -ne 0 ]; then
  echo "docker stack deploy failed (exit $deployed)" >&2
  exit "$deployed"
fi
echo "rolled out $stack in $(( $(date +%s) - started )) s"
