import { describe, expect, it } from "vitest";
import { assembleModule, get, I32, i32Add, i32Const, leb, sleb } from "../../core/wasm/assembler.ts";

describe("WebAssembly assembler", () => {
  it("encodes LEB128 immediates, signed ones with their sign bit", () => {
    expect(leb(0)).toEqual([0]);
    expect(leb(624485)).toEqual([0xe5, 0x8e, 0x26]);
    expect(sleb(63)).toEqual([0x3f]);
    expect(sleb(64)).toEqual([0xc0, 0x00]);
    expect(sleb(-1)).toEqual([0x7f]);
    expect(sleb(-123456)).toEqual([0xc0, 0xbb, 0x78]);
  });

  it("assembles functions over an imported memory, plain or shared", () => {
    // store(at, value + 64): writes through the caller's memory.
    const code = [...get(0), ...get(1), ...i32Const(64), ...i32Add, 0x36, 2, 0];
    for (const shared of [false, true]) {
      const memory = shared ? new WebAssembly.Memory({ initial: 1, maximum: 4, shared: true }) : new WebAssembly.Memory({ initial: 1 });
      const module = assembleModule([{ name: "store", params: [I32, I32], locals: [], code }], { shared });
      const { store } = new WebAssembly.Instance(module, { env: { memory } }).exports as { store: (at: number, value: number) => void };
      store(8, 36);
      expect(new Int32Array(memory.buffer)[2]).toBe(100);
    }
  });
});
