import assert from 'node:assert/strict';
import { test } from 'node:test';
import { guessLanguage } from './language-guess.ts';

const TABLE: ReadonlyArray<readonly [string, string]> = [
  ['en', 'I need to know what the results of my blood test are and how long this will take.'],
  ['es', 'Necesito saber cuándo están los resultados de la prueba y por qué tarda tanto.'],
  ['fr', 'Je voudrais savoir si les résultats sont disponibles pour mon rendez-vous de mardi.'],
  ['de', 'Ich habe eine Frage zu meiner Rechnung, die nicht stimmt, und wie ich sie ändern kann.'],
  ['it', 'Vorrei sapere come posso cambiare la data della visita perché non sono disponibile.'],
  ['pt', 'Eu preciso saber se você tem uma consulta para mim, mas não hoje, também não amanhã.'],
  ['nl', 'Ik wil graag weten wat de uitslag is van het onderzoek en hoe ik een afspraak maak.'],
  ['ru', 'Когда будут готовы результаты моих анализов крови?'],
  ['uk', 'Коли будуть готові результати моїх аналізів? Дякую і гарного дня.'],
  ['el', 'Πότε θα είναι έτοιμα τα αποτελέσματα των εξετάσεών μου;'],
  ['ar', 'متى ستكون نتائج فحص الدم جاهزة؟'],
  ['fa', 'نتایج آزمایش خون من چه زمانی آماده می‌شود؟ لطفا پیگیری کنید'],
  ['he', 'מתי יהיו מוכנות תוצאות בדיקות הדם שלי?'],
  ['zh', '我的血液检查结果什么时候出来？'],
  ['ja', '血液検査の結果はいつ出ますか？'],
  ['ko', '혈액 검사 결과는 언제 나오나요?'],
  ['th', 'ผลตรวจเลือดของฉันจะออกเมื่อไหร่'],
  ['hi', 'मेरे रक्त परीक्षण के परिणाम कब आएंगे?'],
];

test('each sentence of the table is guessed as its language', () => {
  for (const [language, text] of TABLE) assert.equal(guessLanguage(text), language, text);
});

test('text with no letters, too few function words, or two languages tied is undetermined', () => {
  assert.equal(guessLanguage(''), 'und');
  assert.equal(guessLanguage('12345 !!! ??'), 'und');
  assert.equal(guessLanguage('Ibuprofen 400mg'), 'und');
  assert.equal(guessLanguage('the de'), 'und');
});

test('only the first 400 characters are read: a long text is guessed from its beginning', () => {
  const english = 'the results of the test are with the doctor and the nurse. '.repeat(10);
  const german = 'die Ergebnisse sind nicht da und ich habe eine Frage. '.repeat(40);
  assert.equal(guessLanguage(english + german), 'en');
});
