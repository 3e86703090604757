"""pika with publisher confirms: a routable publish is confirmed, a mandatory unroutable one raises
UnroutableError (its basic.return arrives before the ack), and a publish to a missing exchange
fails the channel with 404."""
import pika
import pika.exceptions

from _common import broker_url, emit, unique

params = pika.URLParameters(broker_url())
params.socket_timeout = 5
conn = pika.BlockingConnection(params)
ch = conn.channel()
ch.confirm_delivery()
q = unique("pika-confirm")
ch.queue_declare(queue=q)

confirmed = 0
for i in range(20):
    ch.basic_publish(exchange="", routing_key=q, body=b"x", mandatory=True)
    confirmed += 1
emit(step="routable", confirmed=confirmed)

try:
    ch.basic_publish(exchange="amq.direct", routing_key=unique("nobody"), body=b"bounce", mandatory=True)
    emit(step="unroutable", raised=False)
except pika.exceptions.UnroutableError as e:
    msg = e.messages[0]
    emit(step="unroutable", raised=True, reply_code=msg.method.reply_code, reply_text=msg.method.reply_text,
         body=msg.body.decode())

count = ch.queue_declare(queue=q, passive=True).method.message_count
emit(step="count", message_count=count)
ch.queue_delete(queue=q)

try:
    ch.basic_publish(exchange=unique("missing-x"), routing_key="k", body=b"lost")
    emit(step="missing-exchange", raised=False)
except pika.exceptions.ChannelClosedByBroker as e:
    emit(step="missing-exchange", raised=True, reply_code=e.reply_code, reply_text=e.reply_text)
conn.close()
emit(step="done")
