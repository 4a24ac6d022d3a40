"""Chinese first: the interface is zh-hans unless the person chose English.

Django's LocaleMiddleware follows the browser's Accept-Language; a town office
PC or a phone set up in English would then show English to people who expect
Chinese. Here only the language switch (its cookie) changes the language.
"""

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class ChineseFirstLocaleMiddleware(LocaleMiddleware):
    def process_request(self, request):
        code = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if code not in dict(settings.LANGUAGES):
            code = settings.LANGUAGE_CODE
        translation.activate(code)
        request.LANGUAGE_CODE = translation.get_language()
