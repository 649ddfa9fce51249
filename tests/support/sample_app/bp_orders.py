"""The sample app's Blueprint module: orders over HTTP, from a queue, a blob container and an Event Hub."""

import azure.functions as func

from python_worker_extension_timer import timed

bp = func.Blueprint()

#: What the non-HTTP functions received, for the tests.
RECEIVED: list[str] = []


@bp.route(route="orders/{order_id}", methods=["GET"])
@timed
async def order(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(f"order {req.route_params['order_id']}")


@bp.queue_trigger(arg_name="message", queue_name="orders", connection="AzureWebJobsStorage")
@timed
def order_queued(message: func.QueueMessage) -> None:
    body = message.get_body().decode()
    if body == "poison":
        raise ValueError("a message the app cannot handle")
    RECEIVED.append(body)


@bp.blob_trigger(arg_name="receipt", path="receipts/{name}", connection="AzureWebJobsStorage")
@timed
def receipt_uploaded(receipt: func.InputStream) -> None:
    RECEIVED.append(f"{receipt.name}: {len(receipt.read())} bytes")


@bp.event_hub_message_trigger(arg_name="event", event_hub_name="order-events", connection="EventHubConnection")
@timed
async def order_event(event: func.EventHubEvent) -> None:
    RECEIVED.append(event.get_body().decode())
