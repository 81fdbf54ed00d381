import { createEchoApplet, ECHO_FIRMWARE_CLASS } from '../applets/echo/client.js';
import { createPaymentApplet, createPPSEApplet } from '../applets/payment/client.js';
import { PAYMENT_FIRMWARE_CLASS, PPSE_FIRMWARE_CLASS, type AppletFactory, type AppletFirmware } from '../card/client.js';

/**
 * The applet classes the CLI's cards know: a load file's module names one of these (see
 * docs/load-file-format.md): the test echo applet and the payment applets (PPSE, EMV contactless).
 * A card asked to instantiate a class missing here refuses the INSTALL.
 */
export function cardFirmware(): AppletFirmware {
  const classes: [string, AppletFactory][] = [
    [ECHO_FIRMWARE_CLASS, createEchoApplet],
    [PAYMENT_FIRMWARE_CLASS, createPaymentApplet],
    [PPSE_FIRMWARE_CLASS, createPPSEApplet],
  ];
  return new Map(classes);
}
