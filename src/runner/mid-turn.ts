// Whether a message may go into the agent's running turn (DeliveryItem.midTurn): the runner's one rule for it.
import type { Message } from "../protocol/index.ts";
import { taskIdOf } from "./delivery-records.ts";

/**
 * True for an urgent message, unless it is linked to a task and the agent works on another one: a message about
 * task 7 must not steer the turn of task 8. A task-linked message for an agent on no task, or on that task, may.
 */
export function mayEnterRunningTurn(message: Message, currentTaskId: number | undefined): boolean {
  if (message.urgent !== true) return false;
  const taskId = taskIdOf(message);
  return taskId === undefined || currentTaskId === undefined || taskId === currentTaskId;
}
