// 载入示例数据 on an empty database: a made-up town to get to know the program with.

import { $, toast } from '../dom.js';
import * as ipc from '../ipc.js';

export class DemoLoader {
  /** onLoaded(): shows the workbench again with the new data. */
  constructor({ onLoaded }) {
    this.onLoaded = onLoaded;
    $('load-demo').addEventListener('click', () => this.load());
  }

  async load() {
    const button = $('load-demo');
    button.disabled = true;
    $('load-demo-status').textContent = '正在生成示例数据，请稍候…';
    try {
      const s = await ipc.loadDemo();
      toast(`已载入示例数据：${s.villages} 个行政村、${s.groups} 个社、${s.households} 户、${s.toilets} 个户厕。`, 'info');
      await this.onLoaded();
    } catch (err) {
      toast(err.message || String(err));
    } finally {
      button.disabled = false;
      $('load-demo-status').textContent = '';
    }
  }
}
