/**
 * What operators say in early media (183) when a call cannot go through: the phrase model that
 * `EarlyMediaAsr` listens with (spec §1 step 3, §5.5.3), so the reason a call failed is recognised
 * from the announcement itself.
 */
export const EARLY_MEDIA_MODEL = 'early_media_8k';

export const EARLY_MEDIA_PHRASES = [
  '您拨打的电话已关机',
  '您拨打的用户已关机',
  '您拨打的电话暂时无法接通',
  '您拨打的用户暂时无法接通',
  '您拨打的号码是空号',
  '您拨打的号码不存在',
  '您拨打的电话正在通话中',
  '您拨打的用户正忙',
  '您拨打的电话已停机',
  '您拨打的用户已停机',
  '您拨打的用户不在服务区',
  '您拨打的电话无人接听',
  '您拨打的电话已被限制呼入',
  'the number you have dialed is not in service',
  'the subscriber you dialed is powered off',
  'the subscriber you dialed cannot be reached',
  'the number you dialed is busy',
  'the subscriber you dialed is out of the service area',
].join('\n');
