// What an attacker on the operator's network tries against a space that spans hosts: VXLAN packets
// (plain UDP) carrying the space's VNI and an inner frame to a dyno of the space. `forgedSeen()`
// counts the datagrams saying "forged" that reached this dyno on UDP 5001; `forge(q)` sends five
// such packets to q.to:q.port (VNI q.vni, inner destination MAC q.mac, inner IPv4 q.src → q.dst).
const dgram = require('node:dgram');

let seen = 0;
dgram.createSocket('udp4').on('message', (m) => { if (m.toString() === 'forged') seen++; }).bind(5001);

const bytes = (s, sep, base) => Buffer.from(s.split(sep).map((x) => parseInt(x, base)));

function packet(q) {
  const data = Buffer.from('forged');
  const udp = Buffer.alloc(8);
  udp.writeUInt16BE(40000, 0); udp.writeUInt16BE(5001, 2); udp.writeUInt16BE(8 + data.length, 4);
  const ip = Buffer.alloc(20);
  ip[0] = 0x45; ip.writeUInt16BE(28 + data.length, 2); ip[8] = 64; ip[9] = 17;
  bytes(q.get('src'), '.', 10).copy(ip, 12); bytes(q.get('dst'), '.', 10).copy(ip, 16);
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += ip.readUInt16BE(i);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  ip.writeUInt16BE(~sum & 0xffff, 10);
  const eth = Buffer.concat([bytes(q.get('mac'), ':', 16), Buffer.from([2, 0, 0, 0, 0, 0x99, 8, 0])]);
  const vxlan = Buffer.alloc(8);
  vxlan[0] = 8; vxlan.writeUIntBE(Number(q.get('vni')), 4, 3);
  return Buffer.concat([vxlan, eth, ip, udp, data]);
}

async function forge(q) {
  const sock = dgram.createSocket('udp4');
  const p = packet(q);
  for (let i = 0; i < 5; i++) await new Promise((r) => sock.send(p, Number(q.get('port')), q.get('to'), r));
  sock.close();
}

module.exports = { forge, forgedSeen: () => seen };
