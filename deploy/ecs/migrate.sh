#!/usr/bin/env bash
# Runs the database migrations as a one-off Fargate task of the registered task definition,
# before the service starts or is updated (production never migrates on its own), and waits
# for it. Fill in the variables below, or export them. Needs the AWS CLI v2.
set -euo pipefail

CLUSTER="${CLUSTER:-faultmaven-production}"
TASK_DEFINITION="${TASK_DEFINITION:-auth-service-enterprise}"
SUBNETS="${SUBNETS:?set SUBNETS, e.g. subnet-xxx,subnet-yyy}"
SECURITY_GROUPS="${SECURITY_GROUPS:?set SECURITY_GROUPS, e.g. sg-xxx}"
COMMAND="${1:-migration:run}"

TASK_ARN=$(aws ecs run-task \
  --cluster "$CLUSTER" \
  --task-definition "$TASK_DEFINITION" \
  --launch-type FARGATE \
  --network-configuration "awsvpcConfiguration={subnets=[$SUBNETS],securityGroups=[$SECURITY_GROUPS],assignPublicIp=DISABLED}" \
  --overrides "{\"containerOverrides\":[{\"name\":\"auth-service\",\"command\":[\"node\",\"dist/apps/cli/src/main.js\",\"$COMMAND\"]}]}" \
  --query 'tasks[0].taskArn' --output text)

echo "Started $TASK_ARN ($COMMAND); waiting for it to stop"
aws ecs wait tasks-stopped --cluster "$CLUSTER" --tasks "$TASK_ARN"
EXIT_CODE=$(aws ecs describe-tasks --cluster "$CLUSTER" --tasks "$TASK_ARN" \
  --query 'tasks[0].containers[0].exitCode' --output text)
echo "$COMMAND exited with $EXIT_CODE (logs: CloudWatch group /ecs/auth-service)"
[ "$EXIT_CODE" = "0" ]
