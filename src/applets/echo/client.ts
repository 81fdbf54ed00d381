export { createEchoApplet, ECHO_FIRMWARE_CLASS, ECHO_INS, ECHO_COUNTER_MAX } from './echoApplet.js';
