import { createEchoApplet, ECHO_FIRMWARE_CLASS } from '../applets/echo/client.js';
import type { AppletFactory, AppletFirmware } from '../card/client.js';

/**
 * The applet classes the CLI's cards know: a load file's module names one of these (see
 * docs/load-file-format.md). Today the test echo applet; the payment applets join as they land.
 * A card asked to instantiate a class missing here refuses the INSTALL.
 */
export function cardFirmware(): AppletFirmware {
  const classes: [string, AppletFactory][] = [[ECHO_FIRMWARE_CLASS, createEchoApplet]];
  return new Map(classes);
}
