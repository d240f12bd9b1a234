/**
 * Binance's error replies, as the local exchange sends them: `{"code": -1121, "msg": "Invalid symbol."}`
 * with an HTTP 4xx status (binance-usdm.md §1, §8). Codes and messages are Binance's own.
 */
export class BinanceError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly httpStatus = 400,
  ) {
    super(message);
    this.name = 'BinanceError';
  }

  body(): { code: number; msg: string } {
    return { code: this.code, msg: this.message };
  }
}

export const ERR = {
  unknown: () => new BinanceError(-1000, 'An unknown error occured while processing the request.', 500),
  unsupported: (what: string) => new BinanceError(-1014, `Unsupported order combination: ${what}.`),
  tooManyParams: (name: string) => new BinanceError(-1101, `Duplicate values for a parameter detected: ${name}.`),
  mandatory: (name: string) => new BinanceError(-1102, `Mandatory parameter '${name}' was not sent, was empty/null, or malformed.`),
  illegalChars: (name: string) => new BinanceError(-1100, `Illegal characters found in parameter '${name}'; legal range is '^[\\.A-Z\\:/a-z0-9_-]{1,36}$'.`),
  badPrecision: () => new BinanceError(-1111, 'Precision is over the maximum defined for this asset.'),
  invalidTif: () => new BinanceError(-1115, 'Invalid timeInForce.'),
  invalidOrderType: () => new BinanceError(-1116, 'Invalid orderType.'),
  invalidSide: () => new BinanceError(-1117, 'Invalid side.'),
  badSymbol: () => new BinanceError(-1121, 'Invalid symbol.'),
  badParam: (name: string, value: string) => new BinanceError(-1130, `Data sent for parameter '${name}' is not valid: ${value}.`),
  recvWindow: () => new BinanceError(-1131, 'recvWindow must be less than 60000'),
  timestampAhead: () => new BinanceError(-1021, "Timestamp for this request was 1000ms ahead of the server's time."),
  timestampOld: () => new BinanceError(-1021, 'Timestamp for this request is outside of the recvWindow.'),
  badSignature: () => new BinanceError(-1022, 'Signature for this request is not valid.'),
  badApiKeyFormat: () => new BinanceError(-2014, 'API-key format invalid.', 401),
  rejectedApiKey: () => new BinanceError(-2015, 'Invalid API-key, IP, or permissions for action.', 401),
  noSuchOrder: () => new BinanceError(-2013, 'Order does not exist.'),
  unknownOrder: () => new BinanceError(-2011, 'Unknown order sent.'),
  notFound: (path: string) => new BinanceError(-1000, `Unknown endpoint: ${path}`, 404),
  badListenKey: () => new BinanceError(-1125, 'This listenKey does not exist.'),
} as const;
