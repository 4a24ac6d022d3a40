"""What a refused community action (cadres, projects) raises: the common refusals."""

from wangge.core.errors import InvalidInput, NotAllowed, NotFound
from wangge.core.errors import Refused as CommunityError

__all__ = ["CommunityError", "InvalidInput", "NotAllowed", "NotFound"]
