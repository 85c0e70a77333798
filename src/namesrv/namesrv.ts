import type { Logger } from '../common/logger.js';
import { silentLogger } from '../common/logger.js';
import { RemotingServer } from '../transport/server.js';
import { registerBrokerRegistrationHandlers } from './broker-registration.js';
import { registerConfigHandlers } from './config.js';
import type { NamesrvContext } from './context.js';
import { registerKvConfigHandlers } from './kv-config.js';
import { KvConfigManager, NAMESPACE_ORDER_TOPIC_CONFIG } from './kv-config-manager.js';
import type { NamesrvConfig } from './namesrv-config.js';
import { registerRouteHandlers } from './route.js';
import { RouteBodyCache } from './route-body.js';
import { RouteInfoManager } from './route-info-manager.js';
import { registerTopicAdminHandlers } from './topic-admin.js';

export interface NamesrvControllerOptions {
  config: NamesrvConfig;
  logger?: Logger;
  /** Milliseconds since the epoch; injectable for expiry tests. */
  now?: () => number;
}

/**
 * One NameServer: the remoting server, the route registry, the KV store and the timer that expires silent brokers.
 * `start()` listens and returns the bound address; `shutdown()` stops everything. Embeddable (local cluster, tests).
 */
export class NamesrvController {
  readonly config: NamesrvConfig;
  readonly routes: RouteInfoManager;
  readonly kv: KvConfigManager;
  readonly routeCache = new RouteBodyCache();
  readonly server: RemotingServer;
  private readonly logger: Logger;
  private scanTimer: NodeJS.Timeout | undefined;
  private address: { host: string; port: number } | undefined;

  constructor(options: NamesrvControllerOptions) {
    this.config = { ...options.config };
    this.logger = (options.logger ?? silentLogger).child({ component: 'namesrv' });
    this.routes = new RouteInfoManager({
      now: options.now,
      logger: this.logger,
      onRouteChange: (topic) => this.routeCache.invalidate(topic),
      supportActingMaster: () => this.config.supportActingMaster,
      deleteTopicWithBrokerRegistration: () => this.config.deleteTopicWithBrokerRegistration,
    });
    this.kv = new KvConfigManager({
      path: this.config.kvConfigPath,
      logger: this.logger,
      onChange: (namespace, key) => {
        if (namespace === NAMESPACE_ORDER_TOPIC_CONFIG) this.routeCache.invalidate(key);
      },
    });
    this.server = new RemotingServer({
      host: this.config.listenAddress,
      port: this.config.listenPort,
      logger: options.logger ?? silentLogger,
      idleTimeoutMs: this.config.serverChannelMaxIdleTimeSeconds * 1000,
    });
    const context: NamesrvContext = {
      config: this.config,
      routes: this.routes,
      kv: this.kv,
      routeCache: this.routeCache,
      logger: this.logger,
      onConfigChanged: (keys) => this.onConfigChanged(keys),
    };
    registerRouteHandlers(this.server, context);
    registerBrokerRegistrationHandlers(this.server, context);
    registerKvConfigHandlers(this.server, context);
    registerTopicAdminHandlers(this.server, context);
    registerConfigHandlers(this.server, context);
    this.server.onConnectionClose((connection) => {
      for (const broker of this.routes.onConnectionClosed(connection)) {
        this.logger.info({ brokerAddr: broker.brokerAddr, brokerName: broker.brokerName }, 'broker connection closed');
      }
    });
  }

  /** Load the KV store, listen, and start the expiry scan. Resolves with the bound address. */
  async start(): Promise<{ host: string; port: number }> {
    await this.kv.load();
    this.address = await this.server.listen();
    this.startScanTimer();
    this.logger.info(this.address, 'NameServer listening');
    return this.address;
  }

  /** The bound address once started. */
  get listenAddress(): { host: string; port: number } | undefined {
    return this.address;
  }

  /** Unregister every broker whose registration expired, and close its connection. */
  scanNotActiveBrokers(): number {
    const expired = this.routes.scanNotActiveBrokers();
    for (const broker of expired) {
      const connection = broker.connection as { destroy?: () => void } | undefined;
      connection?.destroy?.();
    }
    return expired.length;
  }

  /** Stop the timer, close the server (handlers in flight get `graceMs`) and wait for pending KV writes. */
  async shutdown(graceMs?: number): Promise<void> {
    if (this.scanTimer) clearInterval(this.scanTimer);
    this.scanTimer = undefined;
    await this.server.close(graceMs);
    await this.kv.flushed();
    this.logger.info('NameServer stopped');
  }

  private startScanTimer(): void {
    if (this.scanTimer) clearInterval(this.scanTimer);
    this.scanTimer = setInterval(() => {
      try {
        this.scanNotActiveBrokers();
      } catch (err) {
        this.logger.error({ err }, 'broker expiry scan failed');
      }
    }, this.config.scanNotActiveBrokerInterval);
    this.scanTimer.unref();
  }

  private onConfigChanged(keys: string[]): void {
    if (keys.includes('scanNotActiveBrokerInterval') && this.scanTimer) this.startScanTimer();
    if (keys.includes('orderMessageEnable') || keys.includes('supportActingMaster')) this.routeCache.invalidate();
  }
}
