import type { Logger } from '../common/logger.js';
import type { KvConfigManager } from './kv-config-manager.js';
import type { NamesrvConfig } from './namesrv-config.js';
import type { RouteBodyCache } from './route-body.js';
import type { RouteInfoManager } from './route-info-manager.js';

/** What the request processors share: the live configuration, the registries and the route body cache. */
export interface NamesrvContext {
  /** Live configuration; UPDATE_NAMESRV_CONFIG changes it in place. */
  readonly config: NamesrvConfig;
  readonly routes: RouteInfoManager;
  readonly kv: KvConfigManager;
  readonly routeCache: RouteBodyCache;
  readonly logger: Logger;
  /** Called after UPDATE_NAMESRV_CONFIG changed `keys`. */
  readonly onConfigChanged: (keys: string[]) => void;
}
