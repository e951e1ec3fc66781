import net from 'node:net';
import { Aedes } from 'aedes';
const broker = await Aedes.createBroker();
const server = net.createServer(broker.handle);
server.listen(18830, '127.0.0.1', () => console.log('broker up'));
broker.on('publish', (p, c) => c && console.log('pub', p.topic, String(p.payload).slice(0, 40)));
setTimeout(() => process.exit(0), 3600000);
