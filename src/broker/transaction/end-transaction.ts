/**
 * END_TRANSACTION (37, reference §3.4, §6.6): the producer's outcome of a half message, sent one-way after the local
 * transaction or in answer to CHECK_TRANSACTION_STATE. A slave answers SLAVE_NOT_AVAILABLE.
 */
import { createResponse, type RemotingCommand } from '../../protocol/command.js';
import { EndTransactionRequestHeader } from '../../protocol/headers/transaction.js';
import { RequestCode } from '../../protocol/request-code.js';
import { ResponseCode } from '../../protocol/response-code.js';
import type { RequestHandler } from '../../transport/dispatcher.js';
import type { HandlerTable } from '../context.js';
import type { TransactionService } from './transaction-service.js';

/** The END_TRANSACTION handler over `service`; `isSlave` is read on every request. */
export function createEndTransactionHandlers(service: TransactionService, isSlave: () => boolean): HandlerTable {
  const handle: RequestHandler = async (request: RemotingCommand): Promise<RemotingCommand> => {
    if (isSlave()) {
      return createResponse(request, ResponseCode.SLAVE_NOT_AVAILABLE, {
        remark: 'Can not process transaction message on a slave broker',
      });
    }
    const header = EndTransactionRequestHeader.decode(request.extFields);
    const outcome = await service.endTransaction(header);
    return createResponse(request, outcome.code, { remark: outcome.remark });
  };
  return new Map([[RequestCode.END_TRANSACTION, handle]]);
}
