#!/usr/bin/env bash
# Creates the ECS service of the deployment guide (AWS ECS/Fargate, steps 4 and 5), after the
# task definition in this folder was registered and migrations ran (see migrate.sh). Fill in
# the variables below, or export them before running. Needs the AWS CLI v2.
set -euo pipefail

CLUSTER="${CLUSTER:-faultmaven-production}"
SERVICE="${SERVICE:-auth-service}"
TASK_DEFINITION="${TASK_DEFINITION:-auth-service-enterprise}"
SUBNETS="${SUBNETS:?set SUBNETS, e.g. subnet-xxx,subnet-yyy}"
SECURITY_GROUPS="${SECURITY_GROUPS:?set SECURITY_GROUPS, e.g. sg-xxx}"
TARGET_GROUP_ARN="${TARGET_GROUP_ARN:?set TARGET_GROUP_ARN of the ALB target group}"

# The ALB target group should check /health/ready (HTTP 200), not /health/live: a task whose
# database or Redis is unreachable must leave the rotation.
aws ecs create-service \
  --cluster "$CLUSTER" \
  --service-name "$SERVICE" \
  --task-definition "$TASK_DEFINITION" \
  --desired-count 3 \
  --launch-type FARGATE \
  --network-configuration "awsvpcConfiguration={subnets=[$SUBNETS],securityGroups=[$SECURITY_GROUPS],assignPublicIp=DISABLED}" \
  --load-balancers "targetGroupArn=$TARGET_GROUP_ARN,containerName=auth-service,containerPort=8000" \
  --health-check-grace-period-seconds 60 \
  --deployment-configuration "minimumHealthyPercent=100,maximumPercent=200,deploymentCircuitBreaker={enable=true,rollback=true}"

aws application-autoscaling register-scalable-target \
  --service-namespace ecs \
  --resource-id "service/$CLUSTER/$SERVICE" \
  --scalable-dimension ecs:service:DesiredCount \
  --min-capacity 3 \
  --max-capacity 10

aws application-autoscaling put-scaling-policy \
  --service-namespace ecs \
  --resource-id "service/$CLUSTER/$SERVICE" \
  --scalable-dimension ecs:service:DesiredCount \
  --policy-name cpu-scaling-policy \
  --policy-type TargetTrackingScaling \
  --target-tracking-scaling-policy-configuration '{
    "TargetValue": 70.0,
    "PredefinedMetricSpecification": {
      "PredefinedMetricType": "ECSServiceAverageCPUUtilization"
    }
  }'

aws application-autoscaling put-scaling-policy \
  --service-namespace ecs \
  --resource-id "service/$CLUSTER/$SERVICE" \
  --scalable-dimension ecs:service:DesiredCount \
  --policy-name memory-scaling-policy \
  --policy-type TargetTrackingScaling \
  --target-tracking-scaling-policy-configuration '{
    "TargetValue": 80.0,
    "PredefinedMetricSpecification": {
      "PredefinedMetricType": "ECSServiceAverageMemoryUtilization"
    }
  }'
