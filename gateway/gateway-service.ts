import type { MqttClient } from "mqtt";
import type { FastifyInstance } from "fastify";
import type { AddressInfo } from "node:net";
import { boxTopic, parseTopic, siteTopic } from "../protocol/index.js";
import { GatewayConfig, type GatewayConfigInput } from "./gateway-config.js";
import { buildGatewayApi } from "./http/build-gateway-api.js";
import { createDeviceDirectory } from "./ingest/device-directory.js";
import { createIngestPipeline, type IngestPipeline } from "./ingest/ingest-pipeline.js";
import { recordCommandResponse } from "./ingest/command-responses.js";
import { ingestStatus } from "./ingest/status-ingest.js";
import { createVerifierPool } from "./ingest/verifier-pool.js";
import { startEmbeddedBroker, type EmbeddedBroker } from "./mqtt/embedded-broker.js";
import { connectGatewayMqtt } from "./mqtt/gateway-mqtt-client.js";
import { openGatewayStore } from "./open-store.js";
import { defaultEvidenceKeyPath, startAlertBackEnd, type AlertBackEnd } from "./alerts/alert-back-end.js";
import type { AlertRecord, GatewayStore } from "./store/gateway-store.js";

/**
 * One running gateway: store, broker connection (embedded or external), ingest pipeline and REST API.
 * Stopping it drains the pipeline, so everything accepted is stored and acknowledged first.
 */
export interface RunningGateway {
  readonly config: GatewayConfig;
  readonly httpUrl: string;
  readonly mqttUrl: string;
  readonly store: GatewayStore;
  readonly pipeline: IngestPipeline;
  readonly api: FastifyInstance;
  readonly alerts: AlertBackEnd;
  close(): Promise<void>;
}

export type GatewayLog = (level: "info" | "warn" | "error", message: string) => void;

export async function startGateway(input: GatewayConfigInput, log: GatewayLog = () => undefined): Promise<RunningGateway> {
  const config = GatewayConfig.parse(input);
  const cleanups: (() => Promise<void>)[] = [];
  const cleanup = async (): Promise<void> => {
    for (const step of cleanups.reverse()) {
      try {
        await step();
      } catch (error) {
        log("warn", `shutdown step failed: ${String(error)}`);
      }
    }
  };
  try {
    const store = await openGatewayStore(config.store);
    cleanups.push(() => store.close());

    let broker: EmbeddedBroker | null = null;
    if (config.mqtt.url === null) {
      broker = await startEmbeddedBroker(config.mqtt.embeddedHost, config.mqtt.embeddedPort);
      const embedded = broker;
      cleanups.push(() => embedded.close());
      log("info", `embedded MQTT broker listening on ${broker.url}`);
    }
    const mqttUrl = config.mqtt.url ?? broker?.url ?? "";
    const protocolVersion = config.mqtt.protocolVersion ?? (config.mqtt.url === null ? 4 : 5);

    const verifier = createVerifierPool(config.ingest.verifyWorkers);
    cleanups.push(() => verifier.close());
    const directory = createDeviceDirectory(store);

    let client: MqttClient | null = null;
    // Cleanups run in reverse: the pipeline drains (storing and acknowledging what it took) before
    // the MQTT session ends; messages arriving meanwhile are refused unacknowledged and redelivered.
    cleanups.push(async () => {
      await client?.endAsync();
    });
    let alertBackEnd: AlertBackEnd | null = null;
    const publishAlert = async (alert: AlertRecord): Promise<void> => {
      if (client === null) throw new Error("not connected");
      await client.publishAsync(siteTopic("alerts", alert.site), alert.body, { qos: 1 });
      alertBackEnd?.nudge();
    };
    const pipeline = createIngestPipeline({
      store,
      directory,
      verifier,
      gatewayId: config.gatewayId,
      limits: config.ingest,
      log,
      output: {
        publishAck(site, box, ack) {
          client?.publish(boxTopic("acks", { site, box }), JSON.stringify(ack), { qos: 1 }, (error) => {
            if (error) log("warn", `ack to ${box} not published: ${error.message} (the box will re-send)`);
          });
        },
        publishAlert,
      },
    });
    cleanups.push(() => pipeline.close());

    const onMessage = async (topic: string, payload: Buffer): Promise<void> => {
      const parsed = parseTopic(topic);
      if (parsed?.kind === "status") {
        await ingestStatus(store, { raw: topic, site: parsed.site, box: parsed.box }, payload, {
          receivedAt: Date.now(),
          gatewayId: config.gatewayId,
          payloadCapBytes: config.ingest.quarantinePayloadCapBytes,
        });
        return;
      }
      if (parsed?.kind === "responses") {
        await recordCommandResponse(store, { raw: topic, site: parsed.site, box: parsed.box }, payload, {
          receivedAt: Date.now(),
          gatewayId: config.gatewayId,
          payloadCapBytes: config.ingest.quarantinePayloadCapBytes,
        });
        return;
      }
      await pipeline.accept(topic, payload);
    };
    client = await connectGatewayMqtt({
      url: mqttUrl,
      clientId: config.mqtt.clientId ?? `carewitness-gateway-${config.gatewayId}`,
      protocolVersion,
      shareGroup: config.mqtt.shareGroup,
      sessionExpirySeconds: config.mqtt.sessionExpirySeconds,
      username: config.mqtt.username,
      password: config.mqtt.password,
      onMessage,
      log,
    });
    const connected = client;
    const commandBox = async (site: string, box: string, body: string): Promise<void> => {
      await connected.publishAsync(boxTopic("commands", { site, box }), body, { qos: 1 });
    };

    // Alerts stored by an earlier run that crashed before publishing them.
    for (const alert of await store.unpublishedAlerts(1000)) {
      await publishAlert(alert);
      await store.markAlertsPublished([alert.id], Date.now());
    }

    // The rule engine's alerts, their lifecycle, stream, webhooks and evidence (gateway/alerts).
    const alerts = await startAlertBackEnd({
      store,
      publish: async (site, body) => {
        await connected.publishAsync(siteTopic("alerts", site), body, { qos: 1 });
      },
      evidenceKeyPath: config.evidenceKeyPath ?? defaultEvidenceKeyPath(config.store.kind === "sqlite" ? config.store.path : null),
      log,
      commandBox,
    });
    alertBackEnd = alerts;
    cleanups.push(() => alerts.close());

    const startedAt = Date.now();
    const api = await buildGatewayApi({
      alerts: alerts.desk,
      store,
      pseudonymKey: config.pseudonymKey === null ? null : Buffer.from(config.pseudonymKey, "hex"),
      keyWrappingSecret: config.templateWrapKey === null ? null : Buffer.from(config.templateWrapKey, "hex"),
      onDeviceChanged: (box) => {
        directory.invalidate(box);
      },
      commandBox,
      health: () => ({
        gatewayId: config.gatewayId,
        store: config.store.kind,
        mqtt: { url: mqttUrl, embedded: broker !== null, connected: connected.connected },
        uptimeS: Math.round((Date.now() - startedAt) / 1000),
        ingest: pipeline.stats(),
      }),
    });
    cleanups.push(() => api.close());
    await api.listen({ host: config.http.host, port: config.http.port });
    const address = api.server.address() as AddressInfo;
    const httpUrl = `http://${config.http.host}:${address.port}`;
    log("info", `REST API on ${httpUrl}`);

    return {
      config,
      httpUrl,
      mqttUrl,
      store,
      pipeline,
      api,
      alerts,
      close: cleanup,
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
