// The API schemas of the objects sockeye's manifests hold, from
// kubernetes-models (Kubernetes' OpenAPI) and its prometheus-operator models
// (the CRDs'): types, enums and required fields, as the API server checks
// them. Unknown keys are not flagged (the schemas allow them).
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { ClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import { ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';
import { PodMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor';
import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';

type Model = new (data: any) => { validate(): void };

const MODELS: Record<string, Model> = Object.fromEntries(
  [ConfigMap, Namespace, ServiceAccount, DaemonSet, Deployment, ClusterRole, ClusterRoleBinding, PodMonitor, PrometheusRule].map((M) => {
    const { apiVersion, kind } = new (M as Model)({}) as unknown as { apiVersion: string; kind: string };
    return [`${apiVersion} ${kind}`, M as Model];
  }),
);

/** The schema's complaints about one object (none: it is valid), each a JSON path and what is wrong. */
export function validateObject(object: { apiVersion: string; kind: string; [key: string]: unknown }): string[] {
  const Model = MODELS[`${object.apiVersion} ${object.kind}`];
  if (!Model) return [`no schema for ${object.apiVersion} ${object.kind}`];
  try {
    new Model(object).validate();
    return [];
  } catch (err) {
    const e = err as Error & { errors?: Array<{ instancePath?: string; message?: string }> };
    return e.errors?.map((x) => `${x.instancePath} ${x.message}`) ?? [e.message];
  }
}
